from django.urls import path

from clinic.staff import views

urlpatterns = [
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:pk>/", views.staff_edit, name="staff-edit"),
    path("staff/<int:pk>/password/", views.staff_reset_password, name="staff-password"),
    path("staff/<int:pk>/unlock/", views.staff_unlock, name="staff-unlock"),
]
